with final as (
select merchant_id, merchant_name, mcc, country_code, onboarded_at from {{ ref('stg_merchants') }}
)
select
    cast(merchant_id as number(38,0)) as merchant_id,
    cast(merchant_name as varchar) as merchant_name,
    cast(mcc as varchar) as mcc,
    cast(country_code as varchar) as country_code,
    cast(onboarded_at as timestamp_ntz) as onboarded_at
from final
