select
    merchant_id,
    booked_date as activity_date,
    count(*) as transaction_count,
    {{ finsight_utils.to_money('sum(amount_usd)') }} as volume_usd
from {{ ref('int_transactions_enriched') }}
group by merchant_id, booked_date
