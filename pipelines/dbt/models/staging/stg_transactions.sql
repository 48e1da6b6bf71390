with source as (select * from {{ source('raw', 'transactions') }}),
typed as (
    select
        cast(transaction_id as number(38,0)) as transaction_id,
        cast(account_id as number(38,0)) as account_id,
        cast(merchant_id as number(38,0)) as merchant_id,
        cast(amount as number(18,2)) as amount,
        upper(currency) as currency,
        direction,
        status as transaction_status,
        cast(booked_at as timestamp_ntz) as booked_at
    from source
)
select
    *,
    cast(booked_at as date) as booked_date,
    case when direction = 'debit' then -amount else amount end as signed_amount
from typed
